"""What every concern of layers/ uses: the audit log, spreadsheets in (CSV/Excel with Chinese headers, zip
members bounded) and out (formula-safe, streamed). No domain rules live here."""
