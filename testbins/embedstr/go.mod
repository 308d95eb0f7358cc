module example.com/embedstr

go 1.21
