import { Type, type Static } from '@sinclair/typebox';
import { validationError } from './errors.js';
import { isImageReference } from './image-reference.js';
import { firstSchemaProblem } from './schema-problem.js';

/** One allowed kernel, as operators configure it (Enterprise Gateway's kernel specs). */
export const KernelSpec = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' }),
  displayName: Type.String({ minLength: 1, maxLength: 128 }),
  language: Type.String({ minLength: 1, maxLength: 32 }),
  image: Type.String({ minLength: 1, maxLength: 512 }),
  /** `spark` kernels act as a Spark driver in their namespace. */
  flavor: Type.Union([Type.Literal('vanilla'), Type.Literal('spark')]),
  /**
   * How the kernel is reached. `enterprise-gateway` (the default): the image runs a launcher that
   * connects back with its connection information, as Enterprise Gateway's images do, and the
   * kernel is RUNNING once it answers; `pod-only`: RUNNING once the pod runs, and no client can
   * reach it (an image without a launcher, or a simulated pod).
   */
  launch: Type.Optional(Type.Union([Type.Literal('enterprise-gateway'), Type.Literal('pod-only')])),
}, { additionalProperties: false });
export type KernelSpec = Static<typeof KernelSpec>;

export const KernelSpecsFile = Type.Object({
  defaultKernel: Type.String(),
  kernels: Type.Array(KernelSpec, { minItems: 1 }),
}, { additionalProperties: false });
export type KernelSpecsFile = Static<typeof KernelSpecsFile>;

/** The kernels Enterprise Gateway ships images for; KERNEL_SPECS_FILE replaces them. */
export const defaultKernelSpecs: KernelSpecsFile = {
  defaultKernel: 'python3',
  kernels: [
    { name: 'python3', displayName: 'Python 3', language: 'python', image: 'elyra/kernel-py:3.2.3', flavor: 'vanilla' },
    { name: 'ir', displayName: 'R', language: 'R', image: 'elyra/kernel-r:3.2.3', flavor: 'vanilla' },
    { name: 'scala', displayName: 'Scala', language: 'scala', image: 'elyra/kernel-scala:3.2.3', flavor: 'vanilla' },
    { name: 'spark_python', displayName: 'Spark - Python', language: 'python', image: 'elyra/kernel-spark-py:3.2.3', flavor: 'spark' },
  ],
};

/** Whether the kernel's launcher connects back (see `KernelSpec.launch`). */
export const connectsBack = (spec: KernelSpec): boolean => spec.launch !== 'pod-only';

export class KernelCatalog {
  private readonly byName: Map<string, KernelSpec>;

  constructor(private readonly file: KernelSpecsFile) {
    this.byName = new Map(file.kernels.map((spec) => [spec.name, spec]));
    if (this.byName.size !== file.kernels.length) throw new Error('kernel specs: two kernels share a name');
    if (!this.byName.has(file.defaultKernel)) throw new Error(`kernel specs: the default kernel '${file.defaultKernel}' is not among the kernels`);
  }

  /** Checks a parsed configuration file and names the first problem. */
  static parse(candidate: unknown, source: string): KernelCatalog {
    const problem = firstSchemaProblem(KernelSpecsFile, candidate);
    if (problem) throw new Error(`kernel specs ${source} are invalid at '${problem.path}': ${problem.message}`);
    const unpullable = (candidate as KernelSpecsFile).kernels.findIndex((spec) => !isImageReference(spec.image));
    if (unpullable >= 0) throw new Error(`kernel specs ${source} are invalid at '/kernels/${unpullable}/image': not an image reference`);
    return new KernelCatalog(candidate as KernelSpecsFile);
  }

  /** Every kernel, and the default one's name: what `GET /api/kernelspecs` lists. */
  all(): { defaultKernel: string; kernels: readonly KernelSpec[] } {
    return { defaultKernel: this.file.defaultKernel, kernels: this.file.kernels };
  }

  /** The requested kernel, or the default one when none is named; an unknown name is a 400. */
  resolve(name: string | undefined): KernelSpec {
    const spec = this.byName.get(name ?? this.file.defaultKernel);
    if (!spec) throw validationError('kernelName', `unknown kernel '${name}': allowed are ${[...this.byName.keys()].join(', ')}`);
    return spec;
  }
}
