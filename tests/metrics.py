"""Reading /metrics as a scraper does: Prometheus's text parsed into samples to compare."""

from prometheus_client.parser import text_string_to_metric_families


def parse_samples(text: str) -> dict[tuple, float]:
    """Every sample of a scrape, keyed by (name, sorted label pairs)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple, float], name: str, **labels: str) -> float:
    """One sample's value, 0 when the scrape has none with these labels."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client) -> dict[tuple, float]:
    """GET /metrics through a Flask test client; its samples."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return parse_samples(response.get_data(as_text=True))
