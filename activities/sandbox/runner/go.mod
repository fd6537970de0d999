module drydock/runner

go 1.20
