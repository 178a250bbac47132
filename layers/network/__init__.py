"""The street network as a walking graph: noded from the streets, kept current by the street writer, and walking
reach from facilities over it (pgRouting)."""
