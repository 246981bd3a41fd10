module {{lab:import_path}}

go 1.19
