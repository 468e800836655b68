# gnuplot plot.gp (in this directory) redraws plot.png and plot.svg from results.csv;
# gnuplot -e "set terminal T; set output 'F'; once=1" plot.gp draws it once, there.
set datafile separator ','
set key below horizontal
set grid
set logscale x 2
set yrange [0:*]
set xlabel 'frame size (bytes)'
set xtics (64, 128, 256, 512, 1024, 1518, 9000)
do for [fmt in (exists("once") ? "once" : "png svg")] {
if (fmt eq 'png') { set terminal pngcairo size 1200,600 }
if (fmt eq 'svg') { set terminal svg size 1200,600 }
if (fmt ne 'once') { set output 'plot.'.fmt }
set multiplot layout 1,2 title 'vm-gen-test (vm-gen, TCG: emulated): received at rate 50kpps' noenhanced
set ylabel 'Mpps per direction (bars: min-max over the trials)'
plot 'results.csv' using (strcol(1) eq '1 queue' ? $3 : NaN):4:5:6 with yerrorlines lc 1 title '1 queue' noenhanced, 'results.csv' using (strcol(1) eq '1 queue' && strcol(15) eq 'generator' ? $3 : NaN):4 with points pt 6 ps 2.5 lc 1 title '* set by the generator (a lower bound)' noenhanced, 'results.csv' using (strcol(1) eq '2 queues' ? $3 : NaN):4:5:6 with yerrorlines lc 2 title '2 queues' noenhanced, 'results.csv' using (strcol(1) eq '2 queues' && strcol(15) eq 'generator' ? $3 : NaN):4 with points pt 6 ps 2.5 lc 2 title '' noenhanced
set ylabel 'Gb/s (L1)'
plot 'results.csv' using (strcol(1) eq '1 queue' ? $3 : NaN):7 with linespoints lc 1 title '1 queue' noenhanced, 'results.csv' using (strcol(1) eq '1 queue' && strcol(15) eq 'generator' ? $3 : NaN):7 with points pt 6 ps 2.5 lc 1 title '* set by the generator (a lower bound)' noenhanced, 'results.csv' using (strcol(1) eq '2 queues' ? $3 : NaN):7 with linespoints lc 2 title '2 queues' noenhanced, 'results.csv' using (strcol(1) eq '2 queues' && strcol(15) eq 'generator' ? $3 : NaN):7 with points pt 6 ps 2.5 lc 2 title '' noenhanced
unset multiplot
if (fmt ne 'once') { unset output }
}
