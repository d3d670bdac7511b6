"""一张图: OGC API - Features and Mapbox Vector Tiles over the units and control lines."""
