"""Supervision reports built from stored findings (never by re-running checks).

- `govwatch report monthly|quarterly|annual --period P` (reports.cli): the monthly 普查 table,
  the quarterly 通报 (optionally a stratified spot check, reports.sampling), the annual report,
  and every site's 整改清单; HTML (reports.render), XLSX (reports.xlsx) or PDF (reports.pdf).
- Which findings and sites belong to a period: reports.queries. Scoring: reports.scoring with
  the `[scoring]` settings (core.settings.ScoringSettings). Periods: reports.periods.
- reports.build turns the SQL aggregates into the plain values of reports.model that every
  format prints; reports.site_report is the simple per-site findings page of `govwatch demo`.
"""
