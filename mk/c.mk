.PHONY: demo-c test-c
demo-c:
	@echo "c front end: not built yet"
test-c:
	@echo "c front end: no tests yet"
