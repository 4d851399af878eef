"""Trust in the merged data: privacy, quality, duplicates, records withheld from the public."""
