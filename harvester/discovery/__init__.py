"""Discovery of the registry: government portals from the top down, and the holes in the registry."""
