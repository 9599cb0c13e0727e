import { RoleTypes, type TurnContext } from 'botbuilder';
import { SkillValidation, type ClaimsIdentity } from 'botframework-connector';

/**
 * Whether a root bot called: a skill claim in the caller's token, as botbuilder's own `runDialog`
 * decides, or, without credentials (no token at all), an activity addressed to the skill role, as a
 * root bot's skill client sends it. A plain chat (Teams, the Agents Playground) is neither: channels
 * refuse an `endOfConversation` from a bot.
 */
export function isSkillCall(context: TurnContext): boolean {
  const identity = context.turnState.get<ClaimsIdentity | undefined>(context.adapter.BotIdentityKey);
  if (identity && SkillValidation.isSkillClaim(identity.claims)) return true;
  // Without credentials botbuilder hands the turn an identity with no claims at all.
  const anonymous = (identity?.claims.length ?? 0) === 0;
  return anonymous && context.activity.recipient?.role === RoleTypes.Skill;
}
