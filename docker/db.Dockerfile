# The database for docker-compose.yml: the official PostGIS image plus pgRouting (the walking network,
# layers/network), from the PostgreSQL Debian repository the image already uses.
FROM postgis/postgis:15-3.4
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15-pgrouting \
 && rm -rf /var/lib/apt/lists/*
