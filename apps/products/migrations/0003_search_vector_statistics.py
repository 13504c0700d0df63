from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# With the default statistics target, a lexeme missing from the column's
# most-common-elements list is estimated at ~0.5% of rows (5,000 of 1M). For a
# rare word the planner then walks the created_at index hoping to meet 21
# matches soon and reads the whole table (9 s under load at 1M products). A
# larger target records many more lexeme frequencies, so rare words are known
# to be rare and take the GIN index, while common ones still walk the ordering
# index and stop after a page.
STATISTICS = """
ALTER TABLE products_product ALTER COLUMN search_vector SET STATISTICS 2000;
ANALYZE products_product (search_vector);
"""


class Migration(migrations.Migration):
    dependencies = [("products", "0002_product_search_vector")]

    operations = [
        PostgresOnlySQL(
            STATISTICS,
            reverse_sql="ALTER TABLE products_product ALTER COLUMN search_vector "
            "SET STATISTICS -1;",
        ),
    ]
