"""The post-incident report (markdown, HTML, PDF, JSON), its events in words, the chart and the export. Imports statements/ and below."""
