"""The demo city (民权县's real outline, everything inside it synthetic and labelled so): its layers, registry
with realistic gaps, a year of reports and patrols. May use every other package; nothing imports it but the CLI
and the tests."""
