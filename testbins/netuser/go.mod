module example.com/netuser

go 1.21
