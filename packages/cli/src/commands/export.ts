/** `faceclust export`: the folder's people as csv or json, or as XMP sidecars with MWG face regions. */
import { Command } from 'commander';
import { EXPORT_PARAMS, exportPeople, type ExportFormat, type SidecarName } from '../export.js';
import { DEFAULTS, parseParam, UsageError } from '../options.js';
import { count } from '../reports/log.js';
import { EXIT, failure, Ui } from './common.js';

interface ExportFlags {
  out: string;
  format: string;
  to?: string;
  nextToPhotos?: boolean;
  onlyNamed?: boolean;
  includeUnnamed?: boolean;
  sidecarName?: string;
  json?: boolean;
  quiet?: boolean;
}

export function exportCommand(argv: string[]): Command {
  const cmd = new Command('export')
    .description("export the folder's people: csv or json (a row per face of a person), or xmp (a sidecar per photo with MWG face regions, for digiKam, Lightroom, photo servers)")
    .requiredOption('--format <csv|json|xmp>', EXPORT_PARAMS.format.doc)
    .option('-o, --out <dir>', 'output folder holding the embedding store', DEFAULTS.out)
    .option('--to <path>', 'csv, json: the file to write (default: stdout); xmp: the folder mirroring the photos\' folders (default: <out>/xmp)')
    .option('--next-to-photos', 'xmp: write each sidecar beside its photo (an .xmp faceclust did not write is never replaced)')
    .option('--only-named', 'only the faces of named people (the default for xmp)')
    .option('--include-unnamed', 'xmp: also the faces of unnamed people, as regions named "person <id>"')
    .option('--sidecar-name <ext|replace>', `${EXPORT_PARAMS.sidecarName.doc} (default ${EXPORT_PARAMS.sidecarName.default})`)
    .option('--json', 'print a summary { format, people, faces, photos, to, files, unchanged, removed, skipped, root } on stdout')
    .option('-q, --quiet', 'no messages except errors');
  cmd.action(async (flags: ExportFlags) => {
    const ui = new Ui(flags);
    try {
      const format = parseParam<ExportFormat>(EXPORT_PARAMS.format, flags.format);
      const sidecarName = flags.sidecarName === undefined ? undefined : parseParam<SidecarName>(EXPORT_PARAMS.sidecarName, flags.sidecarName);
      if (flags.onlyNamed && flags.includeUnnamed) throw new UsageError('--only-named and --include-unnamed exclude each other');
      if (format !== 'xmp' && flags.includeUnnamed) throw new UsageError('--include-unnamed applies to --format xmp (csv and json list every person unless --only-named)');
      if (format !== 'xmp' && sidecarName !== undefined) throw new UsageError('--sidecar-name applies to --format xmp only');
      // the export itself is what stdout holds then: a summary there would corrupt it
      if (format !== 'xmp' && flags.to === undefined && flags.json) throw new UsageError(`--json prints a summary on stdout, where the ${format} goes without --to: give --to FILE`);
      const r = await exportPeople(flags.out, {
        format,
        to: flags.to,
        nextToPhotos: flags.nextToPhotos,
        onlyNamed: flags.includeUnnamed ? false : flags.onlyNamed,
        sidecarName,
        command: `faceclust ${argv.join(' ')}`,
      });
      const what = `${count(r.faces, 'face')} of ${count(r.people, 'person', 'people')} in ${count(r.photos, 'photo')}`;
      if (r.text !== undefined) {
        process.stdout.write(r.text);
        ui.info(`exported ${what}`);
      } else if (flags.json) {
        const { text: _, ...summary } = r;
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else if (!flags.quiet) {
        const lines = format === 'xmp'
          ? [
              `${count(r.files.length, 'sidecar')} written, ${r.unchanged.length} unchanged, ${r.removed.length} removed: ${what}`,
              r.to === null ? 'beside the photos' : `in ${r.to} (mirroring ${r.root})`,
            ]
          : [`exported ${what} to ${r.to}`];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (format === 'xmp' && r.faces === 0 && !flags.includeUnnamed) ui.info('no named person has a face: name people with `faceclust name <person> <name>`, or give --include-unnamed');
      ui.skipped(r.skipped);
      process.exitCode = r.skipped.length ? EXIT.skipped : EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  cmd.addHelpText('after', `
Examples:
  $ faceclust export --format csv --out pics-out > people.csv
  $ faceclust export --format json --to people.json --out pics-out
  $ faceclust export --format xmp --out pics-out                   sidecars in pics-out/xmp/, mirroring the photos' folders
  $ faceclust export --format xmp --next-to-photos --sidecar-name replace   IMG_1.xmp beside IMG_1.jpg (Lightroom)`);
  return cmd;
}
