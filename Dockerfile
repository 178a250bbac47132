FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gis gis
COPY layers layers
COPY maps maps
COPY api api
RUN pip install --no-cache-dir .
EXPOSE 8000
# `serve` migrates the schema before it listens.
CMD ["ccgrid", "serve"]
