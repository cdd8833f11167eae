# Front end tests (src/lang, src/model): lexer, parser, expansion and
# semantic checks, hosts file; the parser fuzzer (FUZZ_TARGETS) and its
# replay over the seed corpus under the sanitizers (CHECK_TARGETS).
UNIT_TESTS += tests/unit/test_lex.c tests/unit/test_parse.c tests/unit/test_model.c tests/unit/test_hosts.c
