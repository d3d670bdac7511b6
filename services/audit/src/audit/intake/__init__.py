"""Intake: admit platform events from Kafka and append them to the log in batches."""
