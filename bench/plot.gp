# plot.gp - bar chart of the start-up medians with min-max bars.
# gnuplot -e "datafile='startup.dat'; outfile='startup.png'" plot.gp
# startup.dat: "tool" median_ms min_ms max_ms, one line per tool.
if (!exists("datafile")) datafile = 'startup.dat'
if (!exists("outfile")) outfile = 'startup.png'

set terminal pngcairo size 900,520 font "DejaVu Sans,11"
set output outfile
set title "Start to exit of a container running true (median, min-max bars)"
set ylabel "milliseconds (log scale)"
# A log axis: the floor (~2 ms) and podman/docker (~400 ms) on one chart.
set logscale y
set yrange [0.5:*]
set grid ytics mytics lc rgb "#dddddd"
set style fill solid 0.75 border lc rgb "#333333"
set boxwidth 0.6
set xtics nomirror scale 0
set ytics nomirror
set key off
set offsets 0.5, 0.5, 0, 0
set xrange [-0.5:*]

# Whalebox in orange, the floor in grey, the peers in blue.
color(name) = name eq "whalebox" ? 0xe07b24 : (name eq "floor" ? 0x9a9a9a : 0x3b7dd8)

plot datafile using 0:2:(color(strcol(1))):xtic(1) with boxes lc rgb variable, \
     '' using 0:2:3:4 with yerrorbars lc rgb "#111111" pt 7 ps 0.4 lw 1.5, \
     '' using 0:4:(sprintf("%.1f ms", $2)) with labels offset 0,0.9 font ",10"
