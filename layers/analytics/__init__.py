"""What leaders look at: the heatmap, coverage gaps, the 红黑榜 ranking, the street-owner map, vector tiles and
TileJSON, the OGC API — Features collections and the headline numbers. Its `schemas` module holds the API's
answers about them."""
