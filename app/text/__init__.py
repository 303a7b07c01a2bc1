"""Text handling shared by the gazetteer and the records: Arabic and Latin normalisation."""
