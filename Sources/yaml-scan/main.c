/*
 * The floor for wxmerge's reading: libyaml's own event scan of the files named on the
 * command line, one after the other on one core, doing nothing with the events but
 * count them. scripts/bench compares `wxmerge run` with it. Written in C so that
 * nothing but libyaml is measured.
 */
#include <stdio.h>
#include <yaml.h>

int main(int argc, char **argv) {
    unsigned long long events = 0;
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (!file) { perror(argv[i]); return 66; }
        yaml_parser_t parser;
        yaml_event_t event;
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_file(&parser, file);
        int done = 0;
        while (!done) {
            if (!yaml_parser_parse(&parser, &event)) {
                fprintf(stderr, "%s: %s\n", argv[i], parser.problem ? parser.problem : "error");
                return 65;
            }
            done = event.type == YAML_STREAM_END_EVENT;
            yaml_event_delete(&event);
            events++;
        }
        yaml_parser_delete(&parser);
        fclose(file);
    }
    printf("%llu events\n", events);
    return 0;
}
