"""DCAT-AP 3: the record graph the harvester writes, and its validation against the official shapes."""
