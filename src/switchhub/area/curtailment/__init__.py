"""Curtailment and interruption events (制限・中止) of the area: the source of the form C02."""
