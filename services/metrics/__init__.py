"""The mirror's Prometheus metrics: what requests add to, what the database says at scrape time,
and the text a scrape is answered with. Uses prometheus_client, models and services; no Flask."""
