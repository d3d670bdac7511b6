"""Admin settings kept in the database: zone switches and the working-day calendar."""
