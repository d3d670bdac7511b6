"""三区三线 control lines: loaded by an admin, checked at registration."""
