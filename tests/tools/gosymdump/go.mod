module goaudit.test/gosymdump

go 1.21
