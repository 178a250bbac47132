"""The spatial layers: regions, grid cells, streets and assessment points; the writer every change goes through,
grid generation and checks, and file import/export (io). Its `schemas` module holds the
API's answers about them, and the base models every other package's schemas build on (`Out`, `Number`, `Link`,
`ErrorBody`)."""
