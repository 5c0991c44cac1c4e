#!/usr/bin/env python3
"""Write deploy/grafana/dashboards/c12.json, C12's Grafana dashboard, from the
panel list below (one place to edit; the JSON is committed so that Grafana
users need no Python). Run: python3 deploy/grafana/make_dashboard.py"""
import json
import pathlib

SEL = 'job="c12", instance=~"$instance"'
MSEL = SEL + ', model=~"$model"'

# (title, unit, [(legend, PromQL)...]); rows of two panels, in order.
PANELS = [
    ("Grid carbon intensity", "gCO2e/kWh",
     [("{{provider}} {{region}}", f'c12_carbon_intensity_grams_per_kwh{{{SEL}}}')]),
    ("Requests per second", "reqps",
     [("{{model}} {{status}}", f'sum by (model, status) (rate(c12_requests_total{{{MSEL}}}[$__rate_interval]))')]),
    ("Time to first token", "s",
     [(f"p{q} {{{{model}}}}", f'histogram_quantile(0.{q}, sum by (model, le) '
       f'(rate(c12_time_to_first_token_seconds_bucket{{{MSEL}}}[$__rate_interval])))') for q in (50, 95, 99)]),
    ("Request duration", "s",
     [(f"p{q} {{{{model}}}}", f'histogram_quantile(0.{q}, sum by (model, le) '
       f'(rate(c12_request_duration_seconds_bucket{{{MSEL}}}[$__rate_interval])))') for q in (50, 95, 99)]),
    ("Generated tokens per second", "short",
     [("{{model}}", f'sum by (model) (rate(c12_completion_tokens_total{{{MSEL}}}[$__rate_interval]))')]),
    ("Power drawn by generation", "watt",
     [("{{model}}", f'sum by (model) (rate(c12_energy_joules_total{{{MSEL}}}[$__rate_interval]))')]),
    ("Energy per generated token", "J",
     [("{{model}}", f'sum by (model) (rate(c12_energy_joules_total{{{MSEL}}}[$__rate_interval])) / '
       f'sum by (model) (rate(c12_completion_tokens_total{{{MSEL}}}[$__rate_interval]))')]),
    ("gCO2e per 1,000 tokens", "short",
     [("{{model}}", f'1000 * sum by (model) (rate(c12_co2_grams_total{{{MSEL}}}[$__rate_interval])) / '
       f'sum by (model) (rate(c12_completion_tokens_total{{{MSEL}}}[$__rate_interval]))')]),
    ("CO2 emitted", "short",
     [("{{model}} (g)", f'sum by (model) (increase(c12_co2_grams_total{{{MSEL}}}[$__range]))')]),
    ("CO2 saved against the strongest model", "short",
     [("saved (g)", f'sum(increase(c12_co2_counterfactual_grams_total{{{MSEL}}}[$__range])) - '
       f'sum(increase(c12_co2_grams_total{{{MSEL}}}[$__range]))'),
      ("on the strongest model (g)", f'sum(increase(c12_co2_counterfactual_grams_total{{{MSEL}}}[$__range]))'),
      ("emitted (g)", f'sum(increase(c12_co2_grams_total{{{MSEL}}}[$__range]))')]),
    ("Queue", "short",
     [("waiting {{model}}", f'sum by (model) (c12_queue_depth{{{MSEL}}})'),
      ("p95 wait {{model}} (s)", f'histogram_quantile(0.95, sum by (model, le) '
       f'(rate(c12_queue_wait_seconds_bucket{{{MSEL}}}[$__rate_interval])))')]),
    ("Pool memory", "bytes",
     [("used", f'sum(c12_memory_used_bytes{{{SEL}}})'), ("budget", f'sum(c12_memory_budget_bytes{{{SEL}}})'),
      ("{{model}}", f'c12_model_memory_bytes{{{MSEL}}}')]),
    ("Model loads and evictions", "short",
     [("loads {{model}}", f'sum by (model) (increase(c12_model_loads_total{{{MSEL}}}[$__rate_interval]))'),
      ("evictions {{model}} {{reason}}",
       f'sum by (model, reason) (increase(c12_model_evictions_total{{{MSEL}}}[$__rate_interval]))')]),
    ("Routing decisions (auto)", "short",
     [("{{category}} -> {{model}}",
       f'sum by (category, model) (increase(c12_route_decisions_total{{{MSEL}}}[$__range]))')]),
    ("Carbon providers", "s",
     [("reading age {{provider}}", f'c12_carbon_reading_age_seconds{{{SEL}}}'),
      ("errors/s {{provider}}", f'rate(c12_carbon_provider_errors_total{{{SEL}}}[$__rate_interval])')]),
    ("Ledger", "short",
     [("committed/s", f'sum(rate(c12_ledger_rows_committed_total{{{SEL}}}[$__rate_interval]))'),
      ("queued", f'sum(c12_ledger_queue_rows{{{SEL}}})'),
      ("dropped", f'sum(increase(c12_ledger_rows_dropped_total{{{SEL}}}[$__range]))')]),
]


def panel(i, title, unit, targets):
    return {
        "id": i + 1, "type": "timeseries", "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
        "targets": [{"refId": chr(ord("A") + k), "expr": expr, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                    for k, (legend, expr) in enumerate(targets)],
    }


def variable(name, query):
    return {"name": name, "type": "query", "label": name, "includeAll": True, "multi": True,
            "allValue": ".*", "refresh": 2, "sort": 1,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": query, "refId": name}, "definition": query}


def dashboard():
    return {
        "uid": "c12-overview", "title": "C12: carbon-aware LLM serving", "tags": ["c12"],
        "schemaVersion": 38, "version": 1, "editable": True, "refresh": "10s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
            variable("instance", 'label_values(c12_requests_total{job="c12"}, instance)'),
            variable("model", 'label_values(c12_model_loaded{job="c12", instance=~"$instance"}, model)'),
        ]},
        "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
    }


def text():
    """dashboards/c12.json's contents, as this script writes them."""
    return json.dumps(dashboard(), indent=2) + "\n"


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "dashboards" / "c12.json"
    out.write_text(text())
    print(out)
