/**
 * A start that cannot go on, told to the operator in one pt-BR line: what failed (the variable, or
 * the host and port), why, and what to check. The service prints it on standard error and exits 1.
 */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

/** The causes an operator can act on, from Node's and the MongoDB driver's error codes and messages. */
function causeOf(err: unknown): string {
  const text = errorText(err);
  if (/ECONNREFUSED/.test(text)) return 'conexão recusada';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'nome de host não encontrado';
  if (/Authentication failed|AuthenticationFailed|bad auth/i.test(text)) return 'usuário ou senha recusados';
  if (/timed out|ETIMEDOUT|timeout/i.test(text)) return 'sem resposta no tempo limite';
  if (/ECONNRESET|closed/i.test(text)) return 'a conexão foi encerrada';
  return `erro inesperado (${err instanceof Error ? err.name : typeof err})`;
}

/** Every message and code along an error's `cause` chain (driver errors nest the network one). */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 5) return String(err);
  const { code } = err as { code?: string | number };
  return `${err.name} ${code ?? ''} ${err.message} ${errorText(err.cause, depth + 1)}`;
}

/** The hosts of a MongoDB connection string, never its credentials. */
export function mongoHosts(uri: string): string {
  return /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1] ?? '?';
}

export function databaseStartError(uri: string, err: unknown): StartError {
  return new StartError(
    `Não foi possível conectar ao MongoDB de MONGODB_URI (${mongoHosts(uri)}): ${causeOf(err)}. ` +
      'Verifique o endereço, a porta, o usuário e a senha em MONGODB_URI e se o servidor está no ar.',
  );
}

export function listenStartError(host: string, port: number, err: unknown): StartError {
  const { code } = err as { code?: string };
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new StartError(`A porta ${where} já está em uso por outro programa. Escolha outra em PORT ou pare o outro programa.`);
  }
  if (code === 'EACCES') {
    return new StartError(`Sem permissão para escutar em ${where}. Use em PORT uma porta acima de 1023.`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new StartError(`HOST ${host} não é um endereço desta máquina. Use em HOST 0.0.0.0, 127.0.0.1 ou um endereço dela.`);
  }
  return new StartError(`Não foi possível escutar em ${where} (${code ?? errorText(err)}). Verifique HOST e PORT.`);
}
