"""Death-penalty assurance: capital charges, US assurances, Mexico's acceptance, clearance."""
