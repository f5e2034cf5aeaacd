"""After-action reports from the event log: CSV tables and one offline HTML page for a span of a shift.

Qt-free: the command line (`onemap report`) and the replay window's Export… (on a worker thread) call
`reports.export.write_report`. The log is read only through `dispatch.history.History`. See docs/reports.md.
"""
