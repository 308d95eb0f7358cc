module example.com/bigbin

go 1.22
