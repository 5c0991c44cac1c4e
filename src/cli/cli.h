/* cli.h - the `c12` command table. Each command is one row: a name, a line of
 * help and the function that runs it. Commands live one per file (cmd_*.c). */
#ifndef C12_CLI_H
#define C12_CLI_H

typedef struct c12_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} c12_cli_cmd;

/* The table, terminated by a row with name == NULL (src/cli/commands.c). */
extern const c12_cli_cmd c12_cli_commands[];

int cmd_run(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_models_inspect(int argc, char **argv); /* c12 models inspect (argv[0] = "inspect") */
int cmd_bench(int argc, char **argv);
int cmd_carbon(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_eval_router(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
/* `c12 calibrate --site NAME`: a fleet site's per-token rates (cmd_calibrate_site.c). */
int c12_cli_calibrate_site(const char *config, const char *site, const char *model, int prompt_tokens,
                           int output_tokens);
int cmd_report(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_eval_quality(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_simulate_deferral(int argc, char **argv); /* c12 simulate --deferral */

#endif
