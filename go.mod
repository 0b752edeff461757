module github.com/yizhan-hub/yizhan

go 1.26
