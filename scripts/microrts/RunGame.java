// Plays microRTS games on the Java engine, headless, for Ludus's conformance and speed checks.
// Our own harness around microRTS's public API (GameState, PhysicalGameState, the AI classes);
// compile and run it against the jar from the PyPI package gym-microrts (see run_java.sh).
//
//   java -cp "microrts.jar:lib/*:." RunGame MAP UTT AI0 AI1 MAX_CYCLES [GAMES] [--trace]
//
// AI0/AI1: a bot class (ai.abstraction.WorkerRush, ai.RandomBiasedAI, ...) or socket:PORT for
// a SocketAI (JSON) that connects to a server on 127.0.0.1:PORT. UTT: 1 or 2.
// Prints one line per game: "game G winner W cycles T ms M slowest S0,S1" (S: each side's
// slowest getAction in ms; microRTS's tournaments call > 120 ms a loss by timeout); with --trace, before it, one line
// per cycle: "t TIME r R0,R1 u ID:TYPE:PLAYER:X:Y:HP:RES ..." (units sorted by id), then both
// players' actions as microRTS's JSON ("p0 [...]", "p1 [...]") — `ludus rts conform` replays
// them on our engine and compares every cycle.
import ai.core.AI;
import ai.socket.SocketAI;
import rts.GameState;
import rts.PhysicalGameState;
import rts.PlayerAction;
import rts.units.Unit;
import rts.units.UnitTypeTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

public class RunGame {
    static AI makeAI(String spec, UnitTypeTable utt) throws Exception {
        if (spec.startsWith("socket:")) {
            int port = Integer.parseInt(spec.substring(7));
            return new SocketAI(100, 0, "127.0.0.1", port, SocketAI.LANGUAGE_JSON, utt);
        }
        return (AI) Class.forName(spec).getConstructor(UnitTypeTable.class).newInstance(utt);
    }

    static String trace(GameState gs) {
        List<Unit> units = new ArrayList<>(gs.getUnits());
        units.sort(Comparator.comparingLong(Unit::getID));
        StringBuilder sb = new StringBuilder();
        sb.append("t ").append(gs.getTime()).append(" r ")
          .append(gs.getPlayer(0).getResources()).append(",")
          .append(gs.getPlayer(1).getResources()).append(" u");
        for (Unit u : units) {
            sb.append(' ').append(u.getID()).append(':').append(u.getType().name).append(':')
              .append(u.getPlayer()).append(':').append(u.getX()).append(':').append(u.getY())
              .append(':').append(u.getHitPoints()).append(':').append(u.getResources());
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        String map = args[0];
        UnitTypeTable utt = new UnitTypeTable(Integer.parseInt(args[1]));
        int maxCycles = Integer.parseInt(args[4]);
        int games = args.length > 5 && !args[5].startsWith("--") ? Integer.parseInt(args[5]) : 1;
        boolean trace = args[args.length - 1].equals("--trace");
        // One AI object per side for all games (a SocketAI keeps its connection; reset() starts
        // the next game), as microRTS's tournaments do.
        AI ai0 = makeAI(args[2], utt);
        AI ai1 = makeAI(args[3], utt);
        for (int g = 0; g < games; g++) {
            if (g > 0) {
                ai0.reset();
                ai1.reset();
            }
            PhysicalGameState pgs = PhysicalGameState.load(map, utt);
            GameState gs = new GameState(pgs, utt);
            ai0.preGameAnalysis(gs, 1000);
            ai1.preGameAnalysis(gs, 1000);
            long start = System.nanoTime();
            boolean over = false;
            long slowest0 = 0, slowest1 = 0;
            do {
                if (trace) System.out.println(trace(gs));
                long t0 = System.nanoTime();
                PlayerAction a0 = ai0.getAction(0, gs);
                long t1 = System.nanoTime();
                PlayerAction a1 = ai1.getAction(1, gs);
                long t2 = System.nanoTime();
                slowest0 = Math.max(slowest0, (t1 - t0) / 1_000_000);
                slowest1 = Math.max(slowest1, (t2 - t1) / 1_000_000);
                if (trace) {
                    java.io.StringWriter w0 = new java.io.StringWriter(), w1 = new java.io.StringWriter();
                    a0.toJSON(w0);
                    a1.toJSON(w1);
                    System.out.println("p0 " + w0.toString().replace("\n", " "));
                    System.out.println("p1 " + w1.toString().replace("\n", " "));
                }
                gs.issueSafe(a0);
                gs.issueSafe(a1);
                over = gs.cycle();
            } while (!over && gs.getTime() < maxCycles);
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (trace) System.out.println(trace(gs));
            ai0.gameOver(gs.winner());
            ai1.gameOver(gs.winner());
            System.out.println("game " + g + " winner " + gs.winner() + " cycles " + gs.getTime()
                + " ms " + ms + " slowest " + slowest0 + "," + slowest1);
        }
    }
}
