"""Parses Prometheus text from stdin with the reference parser (prometheus_client) and prints one
JSON object {sample name + sorted labels: value}. Fails (non-zero) on text the parser rejects."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        out[sample.name + ("{" + labels + "}" if labels else "")] = sample.value
print(json.dumps(out))
