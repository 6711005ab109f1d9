.PHONY: demo-python test-python
demo-python:
	@echo "python front end: not built yet"
test-python:
	@echo "python front end: no tests yet"
