"""Calendar feeds (contract v1.2 "Exchange"): a practitioner's appointments as iCalendar behind a secret URL."""
