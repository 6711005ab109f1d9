.PHONY: demo-node test-node
demo-node:
	@echo "node front end: not built yet"
test-node:
	@echo "node front end: no tests yet"
