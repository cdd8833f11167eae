/*
 * load.c - the front end's entry points for topologies (contract in
 * model/load.h): parse (lang/parse.c), then expand and check
 * (model/expand.c). Semantic checks run only on a file without syntax
 * errors: a statement that did not parse would make every reference to
 * what it declared a spurious error.
 */
#include "model/load.h"

#include <errno.h>

#include "lang/parse.h"
#include "model/expand.h"

static int finish(int r, struct ot_ast *ast, const struct ot_load_opts *o, struct ot_diags *d,
		  struct ot_model **ret)
{
	if (r == 0)
		r = ot_model_expand(ast, o, d, ret);
	ot_ast_free(ast);
	return r;
}

int ot_topology_load(const char *path, const struct ot_load_opts *o, struct ot_diags *d,
		     struct ot_model **ret)
{
	struct ot_parse_opts po = {.no_includes = o && o->no_includes};
	struct ot_ast *ast = NULL;

	int r;

	*ret = NULL;
	r = ot_ast_parse_file(path, &po, d, &ast);
	return finish(r, ast, o, d, ret);
}

int ot_topology_load_mem(const char *name, const char *text, size_t len,
			 const struct ot_load_opts *o, struct ot_diags *d, struct ot_model **ret)
{
	struct ot_parse_opts po = {.no_includes = o && o->no_includes};
	struct ot_ast *ast = NULL;

	int r;

	*ret = NULL;
	r = ot_ast_parse_mem(name, text, len, &po, d, &ast);
	return finish(r, ast, o, d, ret);
}
