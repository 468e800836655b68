/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a person reads in a results directory, made from results.json's data:
 * table.txt (the 2017 table's shape: configurations by frame size), results.csv,
 * and plot.gp (gnuplot, every string escaped).
 */
#pragma once
#include <jansson.h>

/* table.txt for @all (results.json's object), malloc'd; NULL on ENOMEM. */
char *tables_text(const json_t *all);

/* results.csv, malloc'd; NULL on ENOMEM. */
char *tables_csv(const json_t *all);

/* plot.gp: Mpps and L1 Gb/s against frame size from results.csv, malloc'd; NULL on ENOMEM. */
char *tables_plot(const json_t *all);
