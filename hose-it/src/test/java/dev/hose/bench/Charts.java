package dev.hose.bench;

import java.util.List;
import java.util.Locale;

/** Plain SVG line and bar charts: no dependencies, readable in a browser and on GitHub. */
final class Charts {
  /** A line: its name in the legend, colour, dash pattern ("" for solid) and (x, y) points. */
  record Line(String name, String color, String dash, List<double[]> points) {}

  /** One panel of a line chart. */
  record Panel(String title, List<Line> lines) {}

  /** One bar series (a tool) over the groups (sizes); labels are drawn above the bars. */
  record Bars(String name, String color, double[] values, String[] labels) {}

  private static final int WIDTH = 1000;
  private static final int PANEL_HEIGHT = 250;
  private static final int LEFT = 70;
  private static final int PLOT_WIDTH = 600;
  private static final String FONT = "font-family=\"Helvetica,Arial,sans-serif\"";

  private Charts() {}

  /** Panels stacked vertically, each with its own axes and legend. */
  static String lines(String title, String xLabel, String yLabel, List<Panel> panels) {
    int height = 50 + panels.size() * (PANEL_HEIGHT + 40);
    StringBuilder svg = open(WIDTH, height, title);
    int top = 50;
    for (Panel panel : panels) {
      double maxX = 1;
      double maxY = 1;
      for (Line l : panel.lines()) {
        for (double[] p : l.points()) {
          maxX = Math.max(maxX, p[0]);
          maxY = Math.max(maxY, p[1]);
        }
      }
      double stepX = niceStep(maxX);
      double stepY = niceStep(maxY * 1.05);
      maxX = Math.ceil(maxX / stepX) * stepX;
      maxY = Math.ceil(maxY * 1.05 / stepY) * stepY;
      int plotTop = top + 20;
      int plotHeight = PANEL_HEIGHT - 40;
      text(svg, LEFT, top + 10, 13, "start", "bold", panel.title());
      axes(svg, plotTop, plotHeight, maxX, stepX, maxY, stepY, xLabel, yLabel);
      int legendY = plotTop + 5;
      for (Line l : panel.lines()) {
        StringBuilder path = new StringBuilder();
        for (double[] p : l.points()) {
          path.append(path.length() == 0 ? "M" : " L")
              .append(fmt(LEFT + p[0] / maxX * PLOT_WIDTH))
              .append(',')
              .append(fmt(plotTop + plotHeight - p[1] / maxY * plotHeight));
        }
        if (path.length() > 0) {
          svg.append(
              String.format(
                  "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>%n",
                  path,
                  l.color(),
                  l.dash().isEmpty() ? "" : " stroke-dasharray=\"" + l.dash() + "\""));
        }
        int lx = LEFT + PLOT_WIDTH + 20;
        svg.append(
            String.format(
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"2.5\"%s/>%n",
                lx,
                legendY,
                lx + 22,
                legendY,
                l.color(),
                l.dash().isEmpty() ? "" : " stroke-dasharray=\"" + l.dash() + "\""));
        text(svg, lx + 28, legendY + 4, 11, "start", "normal", l.name());
        legendY += 16;
      }
      top += PANEL_HEIGHT + 40;
    }
    return svg.append("</svg>\n").toString();
  }

  /** Grouped bars: one group per size, one bar per series. */
  static String bars(String title, String yLabel, List<String> groups, List<Bars> series) {
    int height = 90 + PANEL_HEIGHT + 16 * series.size();
    StringBuilder svg = open(WIDTH, height, title);
    double max = 1;
    for (Bars b : series) {
      for (double v : b.values()) {
        max = Math.max(max, v);
      }
    }
    double step = niceStep(max * 1.1);
    max = Math.ceil(max * 1.1 / step) * step;
    int plotTop = 50;
    int plotHeight = PANEL_HEIGHT - 20;
    int plotWidth = WIDTH - LEFT - 40;
    gridY(svg, plotTop, plotHeight, plotWidth, max, step, yLabel);
    double groupWidth = (double) plotWidth / groups.size();
    double barWidth = Math.min(70, groupWidth * 0.8 / series.size());
    for (int g = 0; g < groups.size(); g++) {
      double x0 = LEFT + g * groupWidth + (groupWidth - barWidth * series.size()) / 2;
      for (int s = 0; s < series.size(); s++) {
        Bars b = series.get(s);
        double v = b.values()[g];
        double h = v / max * plotHeight;
        double x = x0 + s * barWidth;
        svg.append(
            String.format(
                "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>%n",
                fmt(x + 2), fmt(plotTop + plotHeight - h), fmt(barWidth - 4), fmt(h), b.color()));
        String label = b.labels()[g];
        if (!label.isEmpty()) {
          boolean failed = v == 0;
          double cx = x + barWidth / 2;
          double cy = plotTop + plotHeight - h - 4;
          svg.append(
              String.format(
                  "<text x=\"%s\" y=\"%s\" font-size=\"10\" %s text-anchor=\"start\" fill=\"%s\""
                      + " transform=\"rotate(-90 %s %s)\">%s</text>%n",
                  fmt(cx + 3),
                  fmt(cy),
                  FONT,
                  failed ? "#d62728" : "#222",
                  fmt(cx + 3),
                  fmt(cy),
                  esc(label)));
        }
      }
      text(
          svg,
          (int) (LEFT + g * groupWidth + groupWidth / 2),
          plotTop + plotHeight + 18,
          12,
          "middle",
          "bold",
          groups.get(g));
    }
    int ly = plotTop + plotHeight + 45;
    for (Bars b : series) {
      svg.append(
          String.format(
              "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>%n",
              LEFT, ly - 9, b.color()));
      text(svg, LEFT + 20, ly, 11, "start", "normal", b.name());
      ly += 16;
    }
    return svg.append("</svg>\n").toString();
  }

  private static StringBuilder open(int width, int height, String title) {
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
                + " %d\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
            width, height, width, height));
    text(svg, width / 2, 26, 16, "middle", "bold", title);
    return svg;
  }

  private static void axes(
      StringBuilder svg,
      int top,
      int height,
      double maxX,
      double stepX,
      double maxY,
      double stepY,
      String xLabel,
      String yLabel) {
    gridY(svg, top, height, PLOT_WIDTH, maxY, stepY, yLabel);
    for (double x = 0; x <= maxX + 1e-9; x += stepX) {
      double px = LEFT + x / maxX * PLOT_WIDTH;
      svg.append(
          String.format(
              "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%d\" stroke=\"#999\"/>%n",
              fmt(px), top + height, fmt(px), top + height + 4));
      text(svg, (int) px, top + height + 16, 10, "middle", "normal", num(x));
    }
    text(svg, LEFT + PLOT_WIDTH / 2, top + height + 30, 11, "middle", "normal", xLabel);
  }

  private static void gridY(
      StringBuilder svg, int top, int height, int width, double max, double step, String label) {
    for (double y = 0; y <= max + 1e-9; y += step) {
      double py = top + height - y / max * height;
      svg.append(
          String.format(
              "<line x1=\"%d\" y1=\"%s\" x2=\"%d\" y2=\"%s\" stroke=\"%s\"/>%n",
              LEFT, fmt(py), LEFT + width, fmt(py), y == 0 ? "#999" : "#e5e5e5"));
      text(svg, LEFT - 6, (int) py + 4, 10, "end", "normal", num(y));
    }
    int cy = top + height / 2;
    svg.append(
        String.format(
            "<text x=\"16\" y=\"%d\" font-size=\"11\" %s text-anchor=\"middle\""
                + " transform=\"rotate(-90 16 %d)\">%s</text>%n",
            cy, FONT, cy, esc(label)));
  }

  private static void text(
      StringBuilder svg, int x, int y, int size, String anchor, String weight, String s) {
    svg.append(
        String.format(
            "<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s text-anchor=\"%s\""
                + " font-weight=\"%s\">%s</text>%n",
            x, y, size, FONT, anchor, weight, esc(s)));
  }

  /** 1, 2 or 5 times a power of ten, giving about five steps up to {@code max}. */
  static double niceStep(double max) {
    double raw = max / 5;
    double pow = Math.pow(10, Math.floor(Math.log10(raw)));
    double m = raw / pow;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
  }

  private static String num(double v) {
    if (v >= 1_000_000) {
      return trim(v / 1_000_000) + "M";
    }
    if (v >= 10_000) {
      return trim(v / 1000) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
