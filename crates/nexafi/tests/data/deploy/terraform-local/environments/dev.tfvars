release = "1.4.2"
