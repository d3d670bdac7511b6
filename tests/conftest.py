"""Cross-service tests: helpers shared by the journeys and contract tests."""
