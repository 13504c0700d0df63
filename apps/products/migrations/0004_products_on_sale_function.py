from django.db import migrations

from apps.core.migration_ops import LoadSQLFiles


class Migration(migrations.Migration):
    dependencies = [("products", "0003_search_vector_statistics")]

    operations = [LoadSQLFiles({"apps/products/sql/products_on_sale.sql": "3456d903e16d0228"})]
