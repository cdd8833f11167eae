# t-plugin.sh - the plugin as an object (sourced by tests/slurm/run): it
# exports exactly what Slurm's loader and SPANK look up (opentop.lds), and
# nothing in it can end a Slurm process: no exit() or abort() is linked in
# (the only _exit is its own build process's).

so=${PLUGIN:-$B/spank/opentop.so}
exports=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
check "exports exactly the plugin's symbols" [ "$exports" = "plugin_name plugin_type plugin_version slurm_spank_exit slurm_spank_init slurm_spank_init_post_opt slurm_spank_local_user_init slurm_spank_task_init slurm_spank_task_init_privileged slurm_spank_user_init spank_plugin_version " ]
enders=$(nm -D --undefined-only "$so" | awk '{print $2}' | sed 's/@.*//' |
	grep -xE 'exit|abort|quick_exit|err|errx|verr|verrx|__assert_fail|__stack_chk_fail_local' || true)
check "links no exit(), abort() or assert() (found: ${enders:-none})" [ -z "$enders" ]
check "the compiler and executor are inside, not interposable (no ot_* symbol exported)" \
	[ -z "$(nm -D "$so" | awk '$3 ~ /^ot_/')" ]
