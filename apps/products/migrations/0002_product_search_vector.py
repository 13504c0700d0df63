from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# Kept by PostgreSQL itself: a stored generated column, so every insert and
# update (including COPY) indexes the text, and the ORM never has to.
SEARCH_VECTOR = """
ALTER TABLE products_product ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
    ) STORED;
CREATE INDEX product_search_vector_idx ON products_product USING gin (search_vector);
"""


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            SEARCH_VECTOR,
            reverse_sql="ALTER TABLE products_product DROP COLUMN search_vector;",
        ),
    ]
