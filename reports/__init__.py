"""Periodic reports: periods (NĐ 09/2019), figures in SQL, narrative, DOCX/Markdown/XLSX/PDF."""
